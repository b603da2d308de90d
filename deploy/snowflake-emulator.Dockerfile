# syntax=docker/dockerfile:1
# Snowflake emulator: a fakesnow server (Snowflake's HTTP protocol over DuckDB),
# reached with the real snowflake-connector-python (protocol http).
# Build context: the repository root
#   docker build -f deploy/snowflake-emulator.Dockerfile -t dwsim/snowflake-emulator .
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

# The version the workspace lock (and so the test suite) uses.
ARG FAKESNOW_VERSION=0.12.1
RUN pip install --no-cache-dir "fakesnow[server]==${FAKESNOW_VERSION}" \
    && groupadd --system --gid 10001 fakesnow \
    && useradd --system --uid 10001 --gid fakesnow --create-home fakesnow \
    && install -d -o fakesnow -g fakesnow -m 0700 /var/lib/dwsim-emulator
ENV PYTHONUNBUFFERED=1
# fakesnow's server with statement timeouts, cancel and a DuckDB memory limit
# (DWSIM_EMULATOR_MEMORY_LIMIT), logins checked against DWSIM_SNOWFLAKE_USER/_PASSWORD
# and readers confined to their schema (emulator_guard.py, which needs only sqlglot), and
# fakesnow's rewrite without the walks a query skips (emulator_transforms.py); the three
# files import nothing else from the project.
COPY shared/src/dwsim_shared/emulator_server.py /opt/dwsim/emulator_server.py
COPY shared/src/dwsim_shared/emulator_guard.py /opt/dwsim/emulator_guard.py
COPY shared/src/dwsim_shared/emulator_transforms.py /opt/dwsim/emulator_transforms.py
USER fakesnow
EXPOSE 64616
# uvicorn stops cleanly on SIGINT (and SIGTERM).
STOPSIGNAL SIGINT
# Without --host the server listens on 127.0.0.1 only, unreachable from other containers.
CMD ["python", "/opt/dwsim/emulator_server.py", "--host", "0.0.0.0", "-p", "64616"]
