"""The officer console: `/console/` (queues, the consultation view) and its WebSocket `ws/console/`."""
