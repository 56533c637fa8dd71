"""What tests share; a test module imports from here, never from another test module
(tests/test_support_rules.py checks it).

servers      the app in this process (`in_process_client`, `in_process_listener`) or
             `rpai serve` in a child process (`subprocess_server`, `start_subprocess_server`)
cli          the `rpai` command run as a user runs it (`rpai`, `rpai_json`, `environment`)
provisioned  a gérant and a key made with the CLI, and `provisioned_server` serving them
settings     `settings_for` (the test server's settings) and `TEST_JWT_SECRET`
app          what an in-process app holds (its services, its key directory)
factories    documents written through the rules; logins, transport: calling the API
Ports come from `rpai.database.free_port`, the product's own.
"""
