import schema from './schema';

// No lifecycles: totals are written only by services/invoices.ts recompute
// (utils/invoice-writes.ts for document-service writes).
export default { schema };
