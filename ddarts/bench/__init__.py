"""The search benchmark (`python -m ddarts.bench`): step times, images per second and peak memory."""
