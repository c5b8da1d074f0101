"""Importing Zoom users from a CSV file (SPEC §7, users "import CSV").

Two steps, as an administrator expects of a bulk change they cannot take back:

1. **Dry run** (``reading``): the file is read and every row checked here, with the add form's
   own rules (``users.forms.UserCreateForm``) and against the users stored for the tenant; no
   request is made to Zoom. A file that cannot be read as users (not UTF-8, no header, a
   column Zoom does not name, too many rows) is refused whole.
2. **Confirm** (``services``): the rows that passed become one bulk job (``zoomadmin.jobs``) of
   the operation ``users.import_create``, which creates each user in Zoom through
   ``users.services.user_create`` (Zoom first, audited) and keeps each row's outcome in
   Zoom's words. Rows that did not pass are never sent.
"""
