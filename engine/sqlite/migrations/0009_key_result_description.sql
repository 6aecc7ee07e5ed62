-- Key results carry a description, as objectives do.
ALTER TABLE key_result ADD COLUMN description TEXT NOT NULL DEFAULT '';
