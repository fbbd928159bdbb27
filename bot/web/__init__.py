"""The web process: gunicorn's hooks (server), the WSGI routes (wsgi) and process start-up."""
