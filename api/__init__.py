"""HTTP service and maps for service-circles."""
