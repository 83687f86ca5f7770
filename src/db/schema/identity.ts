// Identity: accounts, people, partner providers, places, instructors and teams
// (migrations/0002_identity.up.sql). Columns only: constraints, keys and indexes live in SQL.
import { inet, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';

import { createdAt, id, rowVersion, timestamptz } from './columns.js';

export const userRoles = ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] as const;
export type UserRole = (typeof userRoles)[number];
export const userStatuses = ['ACTIVE', 'INACTIVE'] as const;
export const complianceTiers = ['basic', 'robust'] as const;
export const complianceStatuses = ['COMPLIANT', 'AT_RISK', 'NON_COMPLIANT', 'PENDING'] as const;
export const providerStatuses = ['ACTIVE', 'SUSPENDED', 'INACTIVE'] as const;
export const providerMemberRoles = ['ADMIN', 'STAFF', 'INSTRUCTOR'] as const;
export const locationStatuses = ['ACTIVE', 'INACTIVE'] as const;
export const certificationLevels = ['NEW', 'TRAINEE', 'PROVISIONAL', 'CERTIFIED'] as const;
export const certificationStatuses = ['PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED'] as const;
export const teamStatuses = ['ACTIVE', 'ARCHIVED'] as const;

export const users = pgTable('users', {
  id: id(),
  emailCiphertext: text('email_ciphertext').notNull(),
  emailHmac: text('email_hmac').notNull(),
  passwordHash: text('password_hash'),
  role: text('role', { enum: userRoles }).notNull(),
  status: text('status', { enum: userStatuses }).notNull().default('ACTIVE'),
  lastLoginAt: timestamptz('last_login_at'),
  ...rowVersion(),
});

// role and status are copies of the user's, kept equal by a composite foreign key (ON UPDATE CASCADE).
export const profiles = pgTable('profiles', {
  id: id(),
  userId: uuid('user_id').notNull(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  displayName: text('display_name'),
  phoneCiphertext: text('phone_ciphertext'),
  emailCiphertext: text('email_ciphertext'),
  organization: text('organization'),
  department: text('department'),
  supervisorId: uuid('supervisor_id'),
  complianceTier: text('compliance_tier', { enum: complianceTiers }).notNull().default('basic'),
  complianceScore: numeric('compliance_score', { precision: 5, scale: 2, mode: 'number' }).notNull().default(0),
  complianceStatus: text('compliance_status', { enum: complianceStatuses }).notNull().default('PENDING'),
  role: text('role', { enum: userRoles }).notNull(),
  status: text('status', { enum: userStatuses }).notNull(),
  ...rowVersion(),
});

export const authSessions = pgTable('auth_sessions', {
  id: id(),
  userId: uuid('user_id').notNull(),
  familyId: uuid('family_id').notNull(),
  refreshTokenHash: text('refresh_token_hash').notNull(),
  expiresAt: timestamptz('expires_at').notNull(),
  revokedAt: timestamptz('revoked_at'),
  replacedBy: uuid('replaced_by'),
  userAgent: text('user_agent'),
  ip: inet('ip'),
  ...rowVersion(),
});

export const authorizedProviders = pgTable('authorized_providers', {
  id: id(),
  name: text('name').notNull(),
  description: text('description'),
  contactEmailCiphertext: text('contact_email_ciphertext'),
  contactPhoneCiphertext: text('contact_phone_ciphertext'),
  website: text('website'),
  status: text('status', { enum: providerStatuses }).notNull().default('ACTIVE'),
  ...rowVersion(),
});

export const providerMembers = pgTable('provider_members', {
  id: id(),
  providerId: uuid('provider_id').notNull(),
  userId: uuid('user_id').notNull(),
  memberRole: text('member_role', { enum: providerMemberRoles }).notNull().default('STAFF'),
  ...rowVersion(),
});

export const locations = pgTable('locations', {
  id: id(),
  name: text('name').notNull(),
  addressLine1: text('address_line1'),
  addressLine2: text('address_line2'),
  city: text('city'),
  region: text('region'),
  postalCode: text('postal_code'),
  country: text('country'),
  timezone: text('timezone').notNull().default('UTC'),
  status: text('status', { enum: locationStatuses }).notNull().default('ACTIVE'),
  ...rowVersion(),
});

// Link row: inserted and deleted, never updated.
export const providerLocations = pgTable('provider_locations', {
  id: id(),
  providerId: uuid('provider_id').notNull(),
  locationId: uuid('location_id').notNull(),
  createdAt: createdAt(),
});

export const instructorProfiles = pgTable('instructor_profiles', {
  id: id(),
  userId: uuid('user_id').notNull(),
  displayName: text('display_name').notNull(),
  bio: text('bio'),
  specialties: text('specialties').array().notNull().default([]),
  certificationLevel: text('certification_level', { enum: certificationLevels }).notNull().default('NEW'),
  certificationStatus: text('certification_status', { enum: certificationStatuses }).notNull().default('PENDING'),
  providerId: uuid('provider_id'),
  ...rowVersion(),
});

export const teams = pgTable('teams', {
  id: id(),
  name: text('name').notNull(),
  description: text('description'),
  providerId: uuid('provider_id'),
  leadId: uuid('lead_id'),
  status: text('status', { enum: teamStatuses }).notNull().default('ACTIVE'),
  createdBy: uuid('created_by'),
  ...rowVersion(),
});

// Link row: inserted and deleted, never updated.
export const teamMembers = pgTable('team_members', {
  id: id(),
  teamId: uuid('team_id').notNull(),
  userId: uuid('user_id').notNull(),
  createdAt: createdAt(),
});
