-- A team's lead owns the team's KPIs that name no owner.
ALTER TABLE team ADD COLUMN lead TEXT NOT NULL DEFAULT '';
