"""What only the site's pages need: cards, trend charts, links. The lists themselves are the read layer (dailypapers.lists)."""
