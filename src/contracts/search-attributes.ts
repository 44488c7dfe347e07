/**
 * Custom search attributes every workflow carries, so engineers can find an account's work in the
 * Temporal UI. The local stack registers exactly this list with the dev server; a real cluster needs
 * the same list registered once (`temporal operator search-attribute create`).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const AccountIdKey = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const MarketplaceKey = defineSearchAttributeKey('Marketplace', SearchAttributeType.KEYWORD);
export const SourceQueueKey = defineSearchAttributeKey('SourceQueue', SearchAttributeType.KEYWORD);
export const MessageTypeKey = defineSearchAttributeKey('MessageType', SearchAttributeType.KEYWORD);

/** A saga's state: `compensating`, then `completed`, `compensated` or `needs-attention`. */
export const SagaStateKey = defineSearchAttributeKey('SagaState', SearchAttributeType.KEYWORD);

export const CUSTOM_SEARCH_ATTRIBUTES = [AccountIdKey, MarketplaceKey, SourceQueueKey, MessageTypeKey, SagaStateKey];
