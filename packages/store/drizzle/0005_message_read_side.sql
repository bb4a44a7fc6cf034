CREATE TABLE `message_sinks` (
	`message_row_id` text NOT NULL,
	`sink` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`message_row_id`, `sink`),
	FOREIGN KEY (`message_row_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "message_sinks_state_check" CHECK("message_sinks"."state" in ('delivered', 'dropped', 'failed', 'dead-letter'))
);
--> statement-breakpoint
CREATE INDEX `message_sinks_sink_state` ON `message_sinks` (`sink`,`state`);--> statement-breakpoint
CREATE TABLE `message_text` (
	`doc_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_row_id` text NOT NULL,
	`subject` text DEFAULT '' NOT NULL,
	`sender` text DEFAULT '' NOT NULL,
	`recipients` text DEFAULT '' NOT NULL,
	`body` text,
	FOREIGN KEY (`message_row_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_text_message` ON `message_text` (`message_row_id`);--> statement-breakpoint
CREATE INDEX `message_text_pending` ON `message_text` (`doc_id`) WHERE body is null;--> statement-breakpoint
ALTER TABLE `messages` ADD `raw_purged_at` text;--> statement-breakpoint
CREATE INDEX `messages_mailbox_folder_stored` ON `messages` (`mailbox_id`,`folder`,"stored_at" desc,"id" desc);--> statement-breakpoint
CREATE INDEX `messages_mailbox_stored` ON `messages` (`mailbox_id`,"stored_at" desc,"id" desc);--> statement-breakpoint
CREATE INDEX `messages_stored` ON `messages` (`stored_at`);