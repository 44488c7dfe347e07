/** Conventions every reader and writer of the queues shares. */

/**
 * Visibility given to a message handed back unstarted. Not 0: fauxqs 2.4 with persistence (the local
 * stack's SQS) fails ChangeMessageVisibility to 0 and loses the message (its SQLite update writes
 * NULL into a NOT NULL column); one second costs nothing on AWS and works on both.
 */
export const RELEASE_VISIBILITY_SECONDS = 1;

/**
 * The largest message (and SendMessageBatch request) every SQS server we run on takes: AWS queues
 * created before 2025 and ElasticMQ stop at 256 KiB, newer AWS queues and fauxqs at 1 MiB.
 */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;
