-- Searches by date range, newest received first: received-at is INTERNALDATE, else stored-at
-- (hand-written: drizzle-kit splits the expression at its comma).
CREATE INDEX `messages_mailbox_received` ON `messages` (`mailbox_id`, coalesce(`internal_date`, `stored_at`) desc, `id` desc);
