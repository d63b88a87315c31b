// Moved to gateway/deadline-wheel.ts (shared with the core, which may not import the SIP edge);
// re-exported here for the SIP layer's imports.
export { DeadlineWheel, type Expiring } from '../deadline-wheel.ts';
