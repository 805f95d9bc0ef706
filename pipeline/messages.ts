// What travels between the pipeline's services: element payloads and the GraphQL
// mutations that hand them on. An element carries everything the next node needs,
// so no stage reads another service's database or needs it to be up.

export type ShippingMethod = 'STANDARD' | 'EXPRESS';

export interface AddressPayload {
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export interface ShipmentLine {
  sku: string;
  title: string;
  quantity: number;
  weightGrams: number;
  bin: string;
}

/** One order's items from one distribution centre: the element that flows picking → (rebin) → shipping. */
export interface ShipmentPayload {
  shipmentId: string;
  orderId: string;
  reservationId: string;
  distributionCenter: string;
  shippingMethod: ShippingMethod;
  lines: ShipmentLine[];
  address: AddressPayload;
  /** Which change of the order's address `address` is (0: the one it was placed with); see pipeline/address-changes.ts. */
  addressVersion?: number | null;
  picklistId?: string | null;
  /** The move that handed the shipment to where it is: the node it reaches records it again, before its own (pipeline/tracking.ts). */
  handedOver?: HandedOver | null;
}

/** A shipment's move as its hand-off carries it: the transition, less what the shipment says (its element and order). */
export interface HandedOver {
  from: string | null;
  to: string;
  node: string;
  at: string;
  detail: string | null;
  traceId: string | null;
}

export const itemCount = (shipment: Pick<ShipmentPayload, 'lines'>) => shipment.lines.reduce((sum, line) => sum + line.quantity, 0);

const SHIPMENT_FIELDS = 'shipmentId orderId';

export const operations = {
  enqueueForPicking: `mutation EnqueueForPicking($shipment: ShipmentInput!) { enqueueForPicking(shipment: $shipment) { ${SHIPMENT_FIELDS} } }`,
  enqueueForRebin: `mutation EnqueueForRebin($shipment: ShipmentInput!) { enqueueForRebin(shipment: $shipment) { ${SHIPMENT_FIELDS} } }`,
  enqueueForShipping: `mutation EnqueueForShipping($shipment: ShipmentInput!) { enqueueForShipping(shipment: $shipment) { ${SHIPMENT_FIELDS} } }`,
  recordProgress: `mutation RecordProgress($input: ProgressInput!) { recordProgress(input: $input) }`,
  stageCompleted: `mutation StageCompleted($stage: String!, $shipment: ShipmentInput!) { stageCompleted(stage: $stage, shipment: $shipment) }`,
  requestCharge: `mutation RequestCharge($input: ChargeRequestInput!) { requestCharge(input: $input) { id status } }`,
  receiveChargeResult: `mutation ReceiveChargeResult($queue: String!, $result: ChargeResultInput!) { receiveChargeResult(queue: $queue, result: $result) }`,
  raiseException: `mutation RaiseException($input: RaiseExceptionInput!) { raiseException(input: $input) { id } }`,
  closeException: `mutation CloseException($input: RaiseExceptionInput!, $resolution: String!) { closeException(input: $input, resolution: $resolution) { id } }`,
  // The same close, for a wait that ended by itself (the exception reads RESOLVED). The argument
  // is written in, so that every close carries the same variables and a cancellation's close
  // reads as versions before `because` sent it.
  closeExceptionWaitOver: `mutation CloseException($input: RaiseExceptionInput!, $resolution: String!) { closeException(input: $input, resolution: $resolution, because: WAIT_OVER) { id } }`,
  commitReservation: `mutation CommitReservation($reservationId: ID!, $distributionCenter: String!) { commitReservation(reservationId: $reservationId, distributionCenter: $distributionCenter) }`,
  receiveStock: `mutation ReceiveStock($input: ReceiveStockInput!) { receiveStock(input: $input) { quantity } }`,
  releaseReservation: `mutation ReleaseReservation($reservationId: ID!, $distributionCenter: String) { releaseReservation(reservationId: $reservationId, distributionCenter: $distributionCenter) }`,
  recordReturnReceived: `mutation RecordReturnReceived($input: ReturnReceivedInput!) { recordReturnReceived(input: $input) }`,
  requestRefund: `mutation RequestRefund($input: RefundRequestInput!) { requestRefund(input: $input) { id status } }`,
  recordAddressChangeOutcome: `mutation RecordAddressChangeOutcome($input: AddressChangeOutcomeInput!) { recordAddressChangeOutcome(input: $input) }`,
  withdrawCharge: `mutation WithdrawCharge($requestId: ID!, $reason: String!) { withdrawCharge(requestId: $requestId, reason: $reason) }`,
  stopOrder: `mutation StopOrder($orderId: ID!, $reason: String!, $shipmentId: ID) { stopOrder(orderId: $orderId, reason: $reason, shipmentId: $shipmentId) }`,
} as const;

/** Progress an order makes, as reported to the orders service by the stage that made it. */
export interface ProgressReport {
  eventId: string;
  orderId: string;
  stage: string;
  status: string;
  detail?: string | null;
}

/** The id the orders service gives an order's charge attempt (from 1): payments knows the order's own charges by it. */
export const orderChargeId = (orderId: string, attempt: number): string => `${orderId}:charge:${attempt}`;

/** Whether `requestId` is one of the order's own charge ids, exactly as the orders service writes them (`orderChargeId`). */
export function isOrderChargeId(requestId: string, orderId: string): boolean {
  const match = /^([0-9a-f]{24}):charge:[1-9][0-9]*$/.exec(requestId);
  return match !== null && match[1] === orderId;
}

/**
 * Whether `requestId` could be taken for an order's charge id: it starts like one, in any case and
 * with any spacing (`6B15…:charge: 2`). Only the orders service may use such ids.
 */
export const looksLikeOrderChargeId = (requestId: string): boolean => /^\s*[0-9a-f]{24}\s*:\s*charge\s*:/i.test(requestId.normalize('NFKC'));

/** What a charge request's requester gets back, however it asked to get it. */
export interface ChargeResultPayload {
  requestId: string;
  orderId?: string | null;
  outcome: 'APPROVED' | 'DECLINED';
  declineReason?: string | null;
  chargeId: string;
  amount: { amount: number; currency: string };
}

export interface RaiseExceptionPayload {
  id: string;
  service: string;
  queue: string;
  elementId: string;
  orderId?: string | null;
  reason: string;
}

export interface ReservationResult {
  id: string;
  status: 'RESERVED' | 'INSUFFICIENT';
  allocations: { sku: string; quantity: number; distributionCenter: string; bin: string }[];
  missing: string[];
}

export const reserveStockOperation = `mutation ReserveStock($input: ReserveStockInput!) {
  reserveStock(input: $input) { id status allocations { sku quantity distributionCenter bin } missing }
}`;
