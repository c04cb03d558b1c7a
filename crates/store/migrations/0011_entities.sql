-- Entity index entries are removed by their exact keys (the message's stored
-- judgement names them), so the index by message is not needed: dropping it
-- saves a second B-tree write for every entity of every message.
DROP INDEX message_entities_by_message;
