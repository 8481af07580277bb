# The portal image: `docker build -t portal . && docker run -p 8000:8000 -v portal-data:/data portal`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PORTAL_HOST=0.0.0.0 \
    PORTAL_PORT=8000 \
    PORTAL_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md piccolo_conf.py ./
COPY portal ./portal
COPY auth ./auth
COPY kb ./kb
COPY content ./content
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin portal \
    && mkdir -p /data && chown portal /data

USER portal
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["portal", "serve"]
