ALTER TABLE `outbox` ADD `envelope` text DEFAULT '{"from":"","to":[]}' NOT NULL;--> statement-breakpoint
ALTER TABLE `outbox` ADD `claim_token` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `error_code` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `response` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `sent_folder` text;--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_mailbox_message_id` ON `outbox` (`mailbox_id`,`message_id`);