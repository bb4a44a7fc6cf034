-- Search indexing leaves the collection path: a stored message no longer gets its message_text row
-- and FTS5 entry from a trigger in the storing transaction (≈ 15 % of what committing mail cost);
-- it is queued here and the indexer (src/message-index.ts) writes header fields and body in one
-- row, after the chunk committed. Rows made before this migration keep their header fields; the
-- indexer still fills their body. A queued message that is deleted is dropped by the indexer.
CREATE TABLE `message_text_queue` (
	`message_row_id` text NOT NULL
);
--> statement-breakpoint
DROP TRIGGER `messages_text_ai`;
--> statement-breakpoint
CREATE TRIGGER `messages_text_queue_ai` AFTER INSERT ON `messages` BEGIN
	INSERT INTO message_text_queue (message_row_id) VALUES (new.id);
END;
