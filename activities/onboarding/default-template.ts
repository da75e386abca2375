import type { TemplateDefinition } from '../../workflows/onboarding/definitions';

/**
 * The standard 10-step onboarding (domain.md, seed 003) as data. It is written to the database
 * as version 1 of template "standard" the first time templates are read; from then on it is
 * edited through the API, each edit a new version.
 */
export const STANDARD_TEMPLATE_KEY = 'standard';

export const standardTemplate: TemplateDefinition = {
  escalateAfterDays: 2,
  steps: [
    {
      number: 1,
      title: 'Collect basic information',
      items: [
        { key: 'company-profile', title: 'Company profile: name, email domains, time zone', owner: 'sales', dueDays: 1, required: true, evidence: 'field', fields: ['legalName', 'domains', 'timezone'] },
        { key: 'contacts', title: 'Client contacts', owner: 'sales', dueDays: 1, required: true, evidence: 'field', fields: ['contacts'] },
        { key: 'service-level', title: 'Service level, contract and site hours', owner: 'sales', dueDays: 1, required: true, evidence: 'field', fields: ['tier', 'contractType', 'siteHours'] },
        { key: 'device-inventory', title: 'Number and specs of servers and workstations', owner: 'technician', dueDays: 2, required: true, evidence: 'field', fields: ['servers', 'workstations'] },
        { key: 'network-documentation', title: 'Existing documentation (network diagrams)', owner: 'client', dueDays: 3, required: true, evidence: 'file', requestByEmail: true },
        { key: 'emergency-instructions', title: 'Emergency instructions and site access', owner: 'client', dueDays: 3, required: true, evidence: 'note', requestByEmail: true },
        { key: 'third-parties', title: 'Third parties: line-of-business app support, warranties, ISP accounts', owner: 'client', dueDays: 3, required: false, evidence: 'note', requestByEmail: true },
        { key: 'credentials-vaulted', title: 'Admin account credentials received in the password vault', owner: 'technician', dueDays: 3, required: true, evidence: 'link' },
      ],
    },
    {
      number: 2,
      title: 'Sign the SLA',
      after: [1],
      items: [{ key: 'sla-signed', title: 'SLA signed by the client', owner: 'sales', dueDays: 4, required: true, evidence: 'file' }],
    },
    {
      number: 3,
      title: 'Welcome the client',
      items: [{ key: 'welcome-email', title: 'Welcome email with the welcome document', owner: 'onboarding-manager', dueDays: 5, required: true, evidence: 'none', automation: 'welcome-email', after: ['sla-signed'] }],
    },
    {
      number: 4,
      title: 'Introduce the team',
      items: [
        { key: 'team-meeting', title: 'Introduction meeting held (goals, reviews schedule, policies, start date)', owner: 'onboarding-manager', dueDays: 6, required: true, evidence: 'note' },
        { key: 'meeting-recording', title: 'Meeting recording sent to the client', owner: 'onboarding-manager', dueDays: 7, required: false, evidence: 'link' },
      ],
    },
    {
      number: 5,
      title: 'Forward planning',
      items: [{ key: 'project-plan', title: 'Written project plan with tasks and schedule', owner: 'onboarding-manager', dueDays: 6, required: true, evidence: 'file' }],
    },
    {
      number: 6,
      title: 'Launch',
      items: [{ key: 'integration-started', title: "Integration of the client's systems started", owner: 'technician', dueDays: 7, required: true, evidence: 'note' }],
    },
    {
      number: 7,
      title: 'Configure the support solution',
      items: [
        { key: 'provision-client', title: 'Client, contacts, domains, contract and SLA policy created', owner: 'onboarding-manager', dueDays: 5, required: true, evidence: 'none', automation: 'provision-client', after: ['sla-signed'] },
        { key: 'announce-internally', title: 'New client announced internally', owner: 'onboarding-manager', dueDays: 5, required: true, evidence: 'none', automation: 'announce-internally', after: ['provision-client'] },
        { key: 'rmm-group', title: 'RMM device group created', owner: 'technician', dueDays: 6, required: true, evidence: 'none', automation: 'rmm-group', after: ['provision-client'] },
        { key: 'agents-installed', title: 'RMM agents installed and reporting', owner: 'technician', dueDays: 9, required: true, evidence: 'none', automation: 'agents-installed', after: ['rmm-group'] },
        { key: 'passwords-rotated', title: 'Admin passwords rotated (network, servers, service accounts, consoles)', owner: 'technician', dueDays: 9, required: true, evidence: 'note' },
        { key: 'accounts-audited', title: 'User, service, backdoor and domain admin accounts audited', owner: 'technician', dueDays: 9, required: true, evidence: 'note' },
        { key: 'firewall-reviewed', title: 'Firewall rules reviewed', owner: 'technician', dueDays: 9, required: false, evidence: 'note' },
        { key: 'monitoring-tested', title: 'Monitoring and alerts tested; antivirus deployed via RMM', owner: 'technician', dueDays: 10, required: true, evidence: 'note' },
      ],
    },
    {
      number: 8,
      title: 'Train the client',
      items: [{ key: 'client-trained', title: 'Client trained on the support tool', owner: 'onboarding-manager', dueDays: 10, required: true, evidence: 'note' }],
    },
    {
      number: 9,
      title: 'Go live',
      after: [7, 8],
      items: [
        { key: 'go-live-approved', title: 'Go-live approved', owner: 'onboarding-manager', dueDays: 11, required: true, evidence: 'none' },
        { key: 'record-go-live', title: 'End of onboarding recorded', owner: 'onboarding-manager', dueDays: 11, required: true, evidence: 'none', automation: 'record-go-live', after: ['go-live-approved'] },
        { key: 'go-live-email', title: 'Client told everything is ready and the SLA is in force', owner: 'onboarding-manager', dueDays: 11, required: true, evidence: 'none', automation: 'go-live-email', after: ['record-go-live'] },
      ],
    },
    {
      number: 10,
      title: 'Follow up',
      after: [9],
      items: [
        { key: 'feedback-questionnaire', title: 'Feedback questionnaire sent', owner: 'onboarding-manager', dueDays: 12, required: true, evidence: 'none', automation: 'feedback-questionnaire' },
        { key: 'review-30', title: '30-day progress review', owner: 'onboarding-manager', dueDays: 41, required: true, evidence: 'none', automation: 'review-reminder', waitDays: 30 },
        { key: 'review-60', title: '60-day progress review', owner: 'onboarding-manager', dueDays: 71, required: true, evidence: 'none', automation: 'review-reminder', after: ['review-30'], waitDays: 30 },
        { key: 'review-90', title: '90-day progress review', owner: 'onboarding-manager', dueDays: 101, required: true, evidence: 'none', automation: 'review-reminder', after: ['review-60'], waitDays: 30 },
      ],
    },
  ],
};
