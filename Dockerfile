# lexer-bot's image: the same for web, clock and the migrate step (see compose.yaml and README "Deploy")
# the base image: python:3.12-slim unless PYTHON_IMAGE says otherwise (an air-gapped or mirrored registry)
ARG PYTHON_IMAGE=python:3.12-slim
FROM ${PYTHON_IMAGE}
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
ENV LEXERBOT_DB=/data/lexerbot.db
VOLUME /data
CMD ["lexer-bot", "serve", "--port", "3000", "--no-scheduler"]
