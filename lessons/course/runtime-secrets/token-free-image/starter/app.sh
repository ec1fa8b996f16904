#!/bin/sh
# Stands in for a service that calls another service with APP_TOKEN.
if [ -z "$APP_TOKEN" ]; then
  echo "no token: start the container with -e APP_TOKEN" >&2
  exit 1
fi
echo "token received (${#APP_TOKEN} characters)"
