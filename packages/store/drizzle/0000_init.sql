CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text,
	`details` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_subject` ON `audit_log` (`subject_id`,`id`);--> statement-breakpoint
CREATE TABLE `folder_state` (
	`mailbox_id` text NOT NULL,
	`folder` text NOT NULL,
	`delimiter` text,
	`uidvalidity` integer,
	`last_uid` integer,
	`highest_modseq` text,
	`special_use` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`mailbox_id`, `folder`),
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `leases` (
	`mailbox_id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `mailboxes` (
	`id` text PRIMARY KEY NOT NULL,
	`instance_id` text NOT NULL,
	`address` text NOT NULL,
	`display_name` text,
	`protocol` text NOT NULL,
	`template` text,
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`security` text NOT NULL,
	`login` text NOT NULL,
	`auth_method` text NOT NULL,
	`key_id` text NOT NULL,
	`sealed` text NOT NULL,
	`registration_id` text NOT NULL,
	`auto_fetch` integer DEFAULT true NOT NULL,
	`interval_seconds` integer,
	`delete_after_fetch` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`credentials_updated_at` text NOT NULL,
	FOREIGN KEY (`instance_id`) REFERENCES `instances`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mailboxes_instance_address` ON `mailboxes` (`instance_id`,`address`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`mailbox_id` text NOT NULL,
	`folder` text NOT NULL,
	`uidvalidity` integer,
	`uid` integer,
	`uidl` text,
	`message_id` text,
	`content_hash` text NOT NULL,
	`size` integer NOT NULL,
	`internal_date` text,
	`flags` text DEFAULT '[]' NOT NULL,
	`envelope` text,
	`raw` blob NOT NULL,
	`stored_at` text NOT NULL,
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_mailbox_uidl` ON `messages` (`mailbox_id`,`uidl`);--> statement-breakpoint
CREATE INDEX `messages_mailbox_hash` ON `messages` (`mailbox_id`,`content_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `messages_mailbox_folder_uid` ON `messages` (`mailbox_id`,`folder`,`uidvalidity`,`uid`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`mailbox_id` text NOT NULL,
	`message_id` text,
	`raw` blob NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text,
	`last_error` text,
	`created_at` text NOT NULL,
	`sent_at` text,
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "outbox_status_check" CHECK("outbox"."status" in ('queued', 'sending', 'sent', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `outbox_status_next` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `registration_windows` (
	`id` text PRIMARY KEY NOT NULL,
	`opens_at` text NOT NULL,
	`closes_at` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `registrations` (
	`id` text PRIMARY KEY NOT NULL,
	`received_at` text NOT NULL,
	`address` text NOT NULL,
	`display_name` text,
	`protocol` text NOT NULL,
	`template` text,
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`security` text NOT NULL,
	`login` text NOT NULL,
	`auth_method` text NOT NULL,
	`status` text NOT NULL,
	`decided_by` text,
	`decided_at` text,
	`decided_instance` text,
	`reason` text,
	`key_id` text NOT NULL,
	`sealed` text NOT NULL,
	CONSTRAINT "registrations_status_check" CHECK("registrations"."status" in ('pending', 'applied', 'rejected'))
);
--> statement-breakpoint
CREATE INDEX `registrations_status_id` ON `registrations` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `registrations_address` ON `registrations` (`address`);--> statement-breakpoint
CREATE TABLE `server_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`protocol` text NOT NULL,
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`security` text NOT NULL,
	`extras` text DEFAULT '{}' NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`mailbox_id` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`status` text NOT NULL,
	`fetched` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT 0 NOT NULL,
	`error_code` text,
	`error_message` text,
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sync_runs_mailbox_started` ON `sync_runs` (`mailbox_id`,`started_at`);