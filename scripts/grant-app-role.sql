-- Privileges of the application's database role (decision 0018). Run as the owner role after
-- every `manage.py migrate` (new tables appear with each migration):
--   psql "$OWNER_DATABASE_URL" -v app_role=sns_app -f scripts/grant-app-role.sql
-- The application may read and write every table but never change or remove a completion record.
\set ON_ERROR_STOP on
GRANT USAGE ON SCHEMA public TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
REVOKE UPDATE, DELETE, TRUNCATE ON quizzes_completionrecord FROM :"app_role";
