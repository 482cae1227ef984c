"""The site: list pages, paper pages, accounts, votes, comments, submissions, feeds and the JSON API."""
