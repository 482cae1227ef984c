"""Community: votes, comments, submissions, moderation, accounts and API tokens (models and services).

The site's pages (dailypapers.web) are views and templates over these; nothing here writes Paper rows
except through dailypapers.store.
"""
