export * from './clients.js';
export * from './contact-events.js';
export * from './contacts.js';
export * from './messages.js';
export * from './sites.js';
export * from './users.js';
export * from './visitors.js';
export * from './workspaces.js';
