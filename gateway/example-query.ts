import { demo } from '../subgraphs/demo-data.ts';

// What GraphiQL opens with in development: place an order for the demo customer,
// then read it back with fields from four subgraphs in one query.
export const exampleQuery = `# Place an order (orders checks the customer with customers and the skus with catalog):
mutation PlaceOrder {
  placeOrder(input: {
    customerId: "${demo.customers.ada}"
    paymentMethodId: "p00000000000000000000001"
    lines: [{ sku: "BOOK-001", quantity: 1 }, { sku: "MUG-001", quantity: 2 }]
  }) { id status total { amount currency } }
}

# Then read it back: orders + customers + catalog + inventory, composed by the gateway.
query RecentOrders {
  customer(id: "${demo.customers.ada}") {
    name
    email
    orders(first: 5) {
      id
      status
      placedAt
      total { amount currency }
      lines {
        quantity
        unitPrice { amount currency }
        product {
          sku
          title
          price { amount currency }
          vendor { name }
          stock { available onHand }
        }
      }
    }
  }
}
`;
