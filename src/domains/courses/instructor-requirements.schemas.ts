import Type from 'typebox';
import { Nullable, Uuid, Version } from '../../platform/shared/crud/schema-types.js';

const Tier = Type.Union([Type.Literal('IC'), Type.Literal('IP')], { description: 'IC (certified) is above IP (provisional): IP admits both, IC only IC' });
const Ids = (description: string) => Type.Array(Uuid, { maxItems: 50, uniqueItems: true, description });

const requirementFields = {
  minimum_tier: Nullable(Tier),
  compliance_requirement_ids: Ids('compliance requirements the instructor holds when the session starts (MET or WAIVED, not expired)'),
  certificate_course_ids: Ids('courses whose certificate the instructor holds on the session’s day (ACTIVE, not expired)'),
};

export const InstructorRequirementsSchema = Type.Object(
  { course_id: Uuid, ...requirementFields, version: Nullable(Type.Integer({ description: 'null until requirements were first saved' })) },
  {
    title: 'InstructorRequirements',
    description: 'what a course asks of the instructor of its sessions; assigning one who does not meet it is 422 INSTRUCTOR_NOT_ELIGIBLE',
    examples: [{
      course_id: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
      minimum_tier: 'IC',
      compliance_requirement_ids: ['8d2f0a4b-6c1e-4f3a-9b7d-5e2c1a0f9d8e'],
      certificate_course_ids: [],
      version: 2,
    }],
  },
);

export const InstructorRequirementsBody = Type.Object(
  { ...requirementFields, version: Type.Optional(Version) },
  { title: 'InstructorRequirementsBody', additionalProperties: false, description: 'the whole set, replacing the former one; version: the one you read (or If-Match)' },
);
