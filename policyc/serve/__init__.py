"""`policyc serve`: the live router a chat platform calls, over HTTP (Starlette on uvicorn).

app (the service and its lifespan), routes (the endpoints), bodies (request
bodies checked as the CLI checks logs), auth (bearer tokens), metrics
(Prometheus text), shops (one live shop over its log), revision (a policy
switch carrying the live state), lease (which instance owns which shop),
clock (time passing with no event), stores/ (SQLite and Redis logs).
"""
