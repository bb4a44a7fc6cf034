-- Addresses are compared by a key (core's addressKey: the local part lower-cased unless the instance
-- compares case-sensitively), unique per instance, so `Ann@` and `ann@` are one mailbox. The keys of
-- existing mailboxes are filled after this migration by src/address-keys.ts (in TypeScript: SQLite's
-- lower() maps ASCII only); mailboxes that differ from an older one only by case keep a null key and
-- are reported, not merged.
ALTER TABLE `mailboxes` ADD `address_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `mailboxes_instance_address_key` ON `mailboxes` (`instance_id`,`address_key`);