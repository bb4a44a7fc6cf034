-- Full-text search over message_text (see schema.ts): FTS5 with message_text as its external content,
-- kept in step by triggers. Header fields come from messages.envelope at insert, in the same
-- transaction; body stays null until the body indexer extracts it (src/message-index.ts).
CREATE VIRTUAL TABLE `message_fts` USING fts5(
	subject, sender, recipients, body,
	content = 'message_text', content_rowid = 'doc_id',
	tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `message_text_ai` AFTER INSERT ON `message_text` BEGIN
	INSERT INTO message_fts (rowid, subject, sender, recipients, body)
	VALUES (new.doc_id, new.subject, new.sender, new.recipients, new.body);
END;
--> statement-breakpoint
CREATE TRIGGER `message_text_ad` AFTER DELETE ON `message_text` BEGIN
	INSERT INTO message_fts (message_fts, rowid, subject, sender, recipients, body)
	VALUES ('delete', old.doc_id, old.subject, old.sender, old.recipients, old.body);
END;
--> statement-breakpoint
CREATE TRIGGER `message_text_au` AFTER UPDATE ON `message_text` BEGIN
	INSERT INTO message_fts (message_fts, rowid, subject, sender, recipients, body)
	VALUES ('delete', old.doc_id, old.subject, old.sender, old.recipients, old.body);
	INSERT INTO message_fts (rowid, subject, sender, recipients, body)
	VALUES (new.doc_id, new.subject, new.sender, new.recipients, new.body);
END;
--> statement-breakpoint
CREATE TRIGGER `messages_text_ai` AFTER INSERT ON `messages` BEGIN
	INSERT INTO message_text (message_row_id, subject, sender, recipients)
	VALUES (
		new.id,
		coalesce(json_extract(new.envelope, '$.subject'), ''),
		coalesce((SELECT group_concat(trim(coalesce(json_extract(a.value, '$.name'), '') || ' ' || coalesce(json_extract(a.value, '$.address'), '')), ' ')
			FROM (SELECT value FROM json_each(new.envelope, '$.from') UNION ALL SELECT value FROM json_each(new.envelope, '$.sender')) AS a), ''),
		coalesce((SELECT group_concat(trim(coalesce(json_extract(a.value, '$.name'), '') || ' ' || coalesce(json_extract(a.value, '$.address'), '')), ' ')
			FROM (SELECT value FROM json_each(new.envelope, '$.to') UNION ALL SELECT value FROM json_each(new.envelope, '$.cc')
				UNION ALL SELECT value FROM json_each(new.envelope, '$.bcc')) AS a), '')
	);
END;
--> statement-breakpoint
CREATE TRIGGER `messages_text_ad` AFTER DELETE ON `messages` BEGIN
	DELETE FROM message_text WHERE message_row_id = old.id;
END;
--> statement-breakpoint
-- messages stored before this migration: their header fields now, their bodies by the indexer
INSERT INTO message_text (message_row_id, subject, sender, recipients)
SELECT
	m.id,
	coalesce(json_extract(m.envelope, '$.subject'), ''),
	coalesce((SELECT group_concat(trim(coalesce(json_extract(a.value, '$.name'), '') || ' ' || coalesce(json_extract(a.value, '$.address'), '')), ' ')
		FROM (SELECT value FROM json_each(m.envelope, '$.from') UNION ALL SELECT value FROM json_each(m.envelope, '$.sender')) AS a), ''),
	coalesce((SELECT group_concat(trim(coalesce(json_extract(a.value, '$.name'), '') || ' ' || coalesce(json_extract(a.value, '$.address'), '')), ' ')
		FROM (SELECT value FROM json_each(m.envelope, '$.to') UNION ALL SELECT value FROM json_each(m.envelope, '$.cc')
			UNION ALL SELECT value FROM json_each(m.envelope, '$.bcc')) AS a), '')
FROM messages AS m;
