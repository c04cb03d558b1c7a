-- A placeholder for the community's web migration (members' sign-in, built
-- on another branch), so that 0016 keeps its number. Migrations run by their
-- position in `sqlite::migrations::MIGRATIONS`, and `PRAGMA user_version`
-- counts them; the other branch replaces this file with its own 0015.
SELECT 1;
