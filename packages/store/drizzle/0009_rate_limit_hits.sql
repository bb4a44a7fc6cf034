CREATE TABLE `rate_limit_hits` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rate_limit_hits_scope_key_at` ON `rate_limit_hits` (`scope`,`key`,`at`);--> statement-breakpoint
CREATE INDEX `rate_limit_hits_scope_at` ON `rate_limit_hits` (`scope`,`at`);