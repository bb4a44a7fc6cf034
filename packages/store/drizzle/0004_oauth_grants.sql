CREATE TABLE `oauth_grants` (
	`mailbox_id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`detail` text,
	`registration_id` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "oauth_grants_state_check" CHECK("oauth_grants"."state" in ('granted', 'must-grant-again'))
);
