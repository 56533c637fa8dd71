"""`uvicorn rpai.asgi:app`: the app built from environment settings (MONGODB_URL etc.)."""

from rpai.app import create_app

app = create_app()
