"""The site's logic; views and the API are thin adapters over these modules."""
