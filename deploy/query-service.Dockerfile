# syntax=docker/dockerfile:1
# Query service image. Build context: the repository root
#   docker build -f deploy/query-service.Dockerfile -t dwsim/query-service .
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
WORKDIR /app

# Dependencies first, in their own layer: uv needs the pyproject of every
# workspace member to read the lock, but installs only this package's closure.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY api-gateway/pyproject.toml api-gateway/
COPY generator-worker/pyproject.toml generator-worker/
COPY loader-worker/pyproject.toml loader-worker/
COPY query-service/pyproject.toml query-service/
COPY cli/pyproject.toml cli/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package dwsim-query-service --no-install-workspace

# Then the code: a non-editable install, so the venv alone is the application.
COPY shared/src shared/src
COPY query-service/src query-service/src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package dwsim-query-service --no-editable

FROM ${PYTHON_IMAGE}
# The same uid in every image, so the shared DWSIM_HOME volume is writable by all.
RUN groupadd --system --gid 10001 dwsim \
    && useradd --system --uid 10001 --gid dwsim --create-home --home-dir /home/dwsim dwsim \
    && mkdir -p /var/lib/dwsim \
    && chown dwsim:dwsim /var/lib/dwsim
COPY --from=build /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    DWSIM_HOME=/var/lib/dwsim
WORKDIR /app
USER dwsim
EXPOSE 8001
CMD ["uvicorn", "dwsim_query.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8001", "--timeout-keep-alive", "30"]
