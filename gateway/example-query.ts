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
#    Newest orders first; for the next three, add after: "<pageInfo.endCursor>".
query RecentOrders {
  customer(id: "${demo.customers.ada}") {
    name
    email
    orders(first: 3) {
      edges {
        node {
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
      pageInfo { hasNextPage endCursor }
    }
  }
}

# 3. Change where an order in flight ships to (paste its id; orders wait in picking
#    for PICKING_MAX_WAIT_MS, 2 s by default: start with PICKING_MAX_WAIT_MS=30000
#    for time to try it). mode: ASYNCHRONOUS answers at once and the stage holding
#    the shipment applies it; COORDINATOR waits for the orders service to route it;
#    SYNCHRONOUS applies it everywhere before answering, or fails changing nothing.
#    Then run RecentOrders again: history shows CHANGE_REQUESTED, CHANGE_APPLIED.
mutation ChangeAddress {
  changeShippingAddress(input: {
    orderId: "<an order id>"
    mode: ASYNCHRONOUS
    address: { name: "Ada Lovelace", line1: "1 Piccadilly", city: "Manchester", postalCode: "M1 1AE", country: "GB" }
  }) { id status outcomes { elementId node result detail } }
}

# 4. Cancel an order wherever it is (paste its id; as for 3., start with
#    PICKING_MAX_WAIT_MS=30000 to catch one in picking). Answers at once, PENDING;
#    each stage holding a shipment pulls it (unless it is being handed to the
#    carrier: too late) and gives its stock back; payments then refunds what was
#    charged for what did not ship. The same idempotencyKey again returns the same
#    cancellation. Then read the order: cancellation, refunds and their history.
mutation CancelOrder {
  cancelOrder(input: { orderId: "<an order id>", reason: "ordered the wrong one", idempotencyKey: "cancel-1" }) {
    id status outcomes { elementId node result detail }
  }
}

query Cancelled {
  order(id: "<an order id>") {
    status
    charge { amount { amount currency } }
    cancellation { status reason refundAmount { amount currency } outcomes { node result detail } }
    refunds { status amount { amount currency } attempts refundedAt }
    history { elementType from to node }
  }
}

# 5. Watch shipments leave, live (run it, then PlaceOrder again): each event
#    composes the customer's name (customers) and the carrier and tracking
#    number (shipping) with the transition (tracking). Keep the last cursor:
#    pipelineTransitions(state: "SHIPPED", after: "<cursor>") resumes from it.
#    One order as it moves: orderTransitions(orderId: "..."), or /track; every
#    order's own SHIPPED (all its shipments have left): elementType: ORDER.
subscription ShipmentsLeaving {
  pipelineTransitions(state: "SHIPPED", elementType: SHIPMENT) {
    cursor
    transition { elementId to node at }
    order { id status customer { name } }
    shipment { carrier trackingNumber }
  }
}

# 6. Browse the catalog, a page at a time (every list pages the same way):
#    products by sku with their vendor (vendors) and stock (inventory); for the
#    next page, add after: "<pageInfo.endCursor>".
query Catalog {
  products(first: 5) {
    edges { node { sku title price { amount currency } vendor { name } stock { available } } }
    pageInfo { hasNextPage endCursor }
  }
}
`;
