# lexer-bot's image: the same for web, clock and the migrate step (see compose.yaml and README "Deploy")
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
ENV LEXERBOT_DB=/data/lexerbot.db
VOLUME /data
CMD ["lexer-bot", "serve", "--port", "3000", "--no-scheduler"]
