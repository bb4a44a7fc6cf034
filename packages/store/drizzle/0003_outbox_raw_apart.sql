CREATE TABLE `outbox_raw` (
	`outbox_id` text PRIMARY KEY NOT NULL,
	`raw` blob NOT NULL,
	FOREIGN KEY (`outbox_id`) REFERENCES `outbox`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `outbox_raw` (`outbox_id`, `raw`) SELECT `id`, `raw` FROM `outbox`;--> statement-breakpoint
ALTER TABLE `outbox` ADD `size` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `outbox` SET `size` = length(`raw`);--> statement-breakpoint
ALTER TABLE `outbox` DROP COLUMN `raw`;
