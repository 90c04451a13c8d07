// The RabbitMQ adapter's entry point (`@imgr/core/amqp`): the composition root builds the queue from
// here, and the tests and interop checks that must speak Celery's wire format take the codec from here.
// Nothing else in imgr sees the Celery envelope.

export {
  type AmqpQueueOptions,
  createAmqpQueue,
  DEAD_LETTER_MAX_LENGTH,
  DEAD_LETTER_QUEUE,
  deadLetterDeclaration,
} from './amqp.queue.js';
export { withHeartbeat } from './amqp-connection.js';
export { LOST_DELIVERIES_HEADER, REASON_HEADER, RETRIES_HEADER } from './amqp-consumer.js';
export { CELERY_QUEUE, type CeleryEnvelope, encodeCeleryTask, ORIGINAL_SIZE, RESIZE_TASK } from './celery-message.js';
