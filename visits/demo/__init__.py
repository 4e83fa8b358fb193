"""The demo's data, made through the services (seed_demo): visits.py a year of visits and
their issues, rota.py three rota quarters. Never imported by the app itself."""
