// Ids shared by the demo data that each service seeds into its own database,
// so that the seeded customer, vendors, products and stock refer to one another.
export const demo = {
  customers: {
    ada: '64b000000000000000000001',
    grace: '64b000000000000000000002',
  },
  vendors: {
    acme: '64b100000000000000000001',
    globex: '64b100000000000000000002',
  },
  // Catalog keeps each product's vendor's name (vendors owns it; it never changes).
  vendorNames: {
    acme: 'Acme Books Distribution',
    globex: 'Globex Homeware',
  },
  skus: ['BOOK-001', 'BOOK-002', 'MUG-001', 'LAMP-001'] as const,
} as const;
