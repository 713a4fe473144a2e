# ogpreview's HTTP API. Build: docker build -t ogpreview .  Run: docker run -p 8080:8080 ogpreview
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --uid 10001 ogpreview
WORKDIR /src
# Only what the package needs: no tests, fixtures or local virtualenvs in the image.
COPY pyproject.toml README.md ./
COPY ogpreview ./ogpreview
RUN pip install . && rm -rf /src

USER ogpreview
WORKDIR /home/ogpreview
# Inside a container the server must listen on every interface; publish the port to choose
# who can reach it. OGPREVIEW_SECRET should be set so image URLs survive restarts.
ENV OGPREVIEW_HOST=0.0.0.0 \
    OGPREVIEW_PORT=8080
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OGPREVIEW_PORT', '8080'), timeout=2)"]
ENTRYPOINT ["ogpreview", "serve"]
