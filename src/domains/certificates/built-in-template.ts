import type { TemplateLayout } from './template-layout.js';

/**
 * The layout certificates printed before templates existed, published by migration 0032 as version 1 of
 * the global template "Unitrain standard" under these fixed ids. A certificate that pins no version (the
 * seed's rows) renders with it. The migration holds the same layout; a test compares the two.
 */
export const builtInTemplateId = '00000000-0000-4000-8000-0000000000c1';
export const builtInTemplateVersionId = '00000000-0000-4000-8000-0000000000c2';

export const builtInLayout: TemplateLayout = {
  page: {
    size: 'A4',
    orientation: 'landscape'
  },
  elements: [
    {
      type: 'box',
      x: 24,
      y: 24,
      width: 793.89,
      height: 547.28,
      border_color: '#1a528c',
      border_width: 3
    },
    {
      type: 'box',
      x: 32,
      y: 32,
      width: 777.89,
      height: 531.28,
      border_color: '#1a528c',
      border_width: 0.75
    },
    {
      type: 'text',
      text: 'CERTIFICATE OF COMPLETION',
      x: 420.945,
      y: 485.28,
      size: 30,
      font: 'bold',
      color: '#1a528c',
      align: 'center',
      max_width: 701.89
    },
    {
      type: 'text',
      text: 'This certifies that',
      x: 420.945,
      y: 435.28,
      size: 14,
      font: 'regular',
      color: '#596373',
      align: 'center',
      max_width: 701.89
    },
    {
      type: 'text',
      text: '{{recipient_name}}',
      x: 420.945,
      y: 390.28,
      size: 32,
      font: 'bold',
      color: '#1f2938',
      align: 'center',
      max_width: 701.89
    },
    {
      type: 'line',
      x1: 200,
      y1: 377.28,
      x2: 641.89,
      y2: 377.28,
      thickness: 0.75,
      color: '#596373'
    },
    {
      type: 'text',
      text: 'has successfully completed',
      x: 420.945,
      y: 347.28,
      size: 14,
      font: 'regular',
      color: '#596373',
      align: 'center',
      max_width: 701.89
    },
    {
      type: 'text',
      text: '{{course_name}}',
      x: 420.945,
      y: 310.28,
      size: 22,
      font: 'bold',
      color: '#1f2938',
      align: 'center',
      max_width: 701.89
    },
    {
      type: 'text',
      text: '{{course_code}} · {{hours}} hours',
      x: 420.945,
      y: 287.28,
      size: 12,
      font: 'regular',
      color: '#596373',
      align: 'center',
      max_width: 701.89
    },
    {
      type: 'text',
      text: 'Completed on {{completed_on}}',
      x: 70,
      y: 200,
      size: 11,
      font: 'regular',
      color: '#1f2938',
      align: 'left',
      max_width: 520
    },
    {
      type: 'text',
      text: '{{location}}',
      x: 70,
      y: 182,
      size: 11,
      font: 'regular',
      color: '#1f2938',
      align: 'left',
      max_width: 520
    },
    {
      type: 'text',
      text: 'Instructor: {{instructor_name}}',
      x: 70,
      y: 164,
      size: 11,
      font: 'regular',
      color: '#1f2938',
      align: 'left',
      max_width: 520
    },
    {
      type: 'text',
      text: 'Provider: {{provider_name}}',
      x: 70,
      y: 146,
      size: 11,
      font: 'regular',
      color: '#1f2938',
      align: 'left',
      max_width: 520
    },
    {
      type: 'text',
      text: 'Practical {{practical_score}} · Written {{written_score}}',
      x: 70,
      y: 128,
      size: 11,
      font: 'regular',
      color: '#1f2938',
      align: 'left',
      max_width: 520
    },
    {
      type: 'text',
      text: 'Issued {{issue_date}}',
      x: 70,
      y: 90,
      size: 11,
      font: 'bold',
      color: '#1f2938',
      align: 'left',
      max_width: 520
    },
    {
      type: 'text',
      text: '{{validity}}',
      x: 70,
      y: 72,
      size: 11,
      font: 'regular',
      color: '#1f2938',
      align: 'left',
      max_width: 520
    },
    {
      type: 'qr',
      x: 661.89,
      y: 92,
      size: 110
    },
    {
      type: 'text',
      text: '{{verification_code}}',
      x: 716.89,
      y: 76,
      size: 10,
      font: 'bold',
      color: '#1f2938',
      align: 'center',
      max_width: 200
    },
    {
      type: 'text',
      text: '{{verification_url}}',
      x: 771.89,
      y: 62,
      size: 8,
      font: 'regular',
      color: '#596373',
      align: 'right',
      max_width: 300
    }
  ]
};
