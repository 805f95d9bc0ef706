import { demo } from '../subgraphs/demo-data.ts';

// What GraphiQL opens with in development: place an order for the demo customer, then
// read it back composed from many subgraphs; run the query again to watch it move.
export const exampleQuery = `# 1. Place an order (orders checks the customer and the skus
#    with the customers and catalog services).
mutation PlaceOrder {
  placeOrder(input: {
    customerId: "${demo.customers.ada}"
    paymentMethodId: "p00000000000000000000001"
    lines: [{ sku: "BOOK-001", quantity: 1 }, { sku: "MUG-001", quantity: 2 }]
  }) { id status total { amount currency } }
}

# 2. Read it back, composed from orders, customers, catalog, inventory,
#    payments, picking, shipping and tracking. Run it again
#    after a few seconds: the status moves on to SHIPPED.
#    (Card p...0004 is declined: see the exceptions field.)
query RecentOrders {
  customer(id: "${demo.customers.ada}") {
    name
    email
    orders(first: 3) {
      id
      status
      stage
      total { amount currency }
      lines {
        quantity
        product {
          title
          price { amount currency }
          stock { available }
        }
      }
      charge { outcome declineReason }
      reservation { status }
      picklists { id reason }
      shipments { carrier trackingNumber }
      exceptions { id reason status }
      location { state node since }
      history { elementType from to node at }
    }
  }
}

# 3. Watch shipments leave, live (run it, then PlaceOrder again): each event
#    composes the customer's name (customers) and the carrier and tracking
#    number (shipping) with the transition (tracking). Keep the last cursor:
#    pipelineTransitions(state: "SHIPPED", after: "<cursor>") resumes from it.
#    One order as it moves: orderTransitions(orderId: "..."), or /track.
subscription ShipmentsLeaving {
  pipelineTransitions(state: "SHIPPED") {
    cursor
    transition { elementId to node at }
    order { id status customer { name } }
    shipment { carrier trackingNumber }
  }
}
`;
