"""Names the dead-code check (vulture, `make lint`) cannot see used, each with who uses it.

Conventions that Django, django-ninja and pytest call by name are in pyproject.toml's
[tool.vulture] ignore_names; this file lists the single reviewed exceptions. A name goes here
only when something outside Python's own calls uses it: a setting's dotted path, a template,
a library's protocol, the database. Dead code is deleted, not listed.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# AppConfig classes, middleware, backends, routers, log handlers: named by dotted path in settings.py.
_.CliConfig
_.GroupsConfig
_.NotifyConfig
_.CommunityConfig
_.DigestConfig
_.LibraryConfig
_.RateLimitConfig
_.SearchConfig
_.StoreConfig
_.WebConfig
_.StatementTimeoutMiddleware
_.ControlCharactersMiddleware
_.HeadAsGetMiddleware
_.LimitsMiddleware
_.ReplicaReadsMiddleware
_.ContentSecurityPolicyMiddleware
_.StaticFilesMiddleware
_.RateLimitedModelBackend
_.RotatingHomeFile
_.PrimaryReplicaRouter
_.db_for_read  # Django's database router protocol
_.db_for_write
_.allow_relation
_.allow_migrate
_.obj1
_.obj2
_.app_label
_.model_name
_.view_func  # middleware's process_view(request, view_func, view_args, view_kwargs)
_.view_args
_.view_kwargs
_.manifest_strict  # ManifestStaticFilesStorage option

# gunicorn's server hook, named in `dailypapers serve`'s gunicorn config; the worker keeps the refresher.
_.post_worker_init
_.search_refresher

# Django class attributes and hooks read by the framework.
_.permissions  # model Meta
_.field_order  # forms
_.redirect_authenticated_user  # LoginView
_.form_class
_.send_mail  # PasswordResetForm hook
_.email_template_name
_.html_email_template_name
_.key_salt  # PasswordResetTokenGenerator
_._make_hash_value
_.feed_type  # django.contrib.syndication Feed hooks
_.feed_url
_.item_title
_.item_description
_.item_link
_.item_author_name
_.item_pubdate
_.item_categories
_.unconfirmed_user  # set on the form, read by the login view's template

# django-ninja: the renderer and parser protocol, and response schema fields (the JSON API's keys).
_.media_type
_.response_status
_.parse_body
_.publishedAt
_.submittedOnDailyAt
_.submittedOnDailyBy
_.discussionId
_.projectPage
_.githubRepo
_.githubRepoAddedBy
_.githubStars
_.numComments
_.communityUpvotes
_.hfUpvotes
_.submittedBy
_.mediaUrls
_.submitterOrganization
_.hfNumComments
_.communityNumComments

# Model fields written and queried by the database (and the admin), not read back in Python.
_.last_used_at
_.done_at
_.confirmed_at
_.unsubscribed_at
_.claimed_by
_.claimed_at
_.sent_at
_.mtime_ns
_.queued_at

# Read by templates.
_.interest_categories  # account form fields
_.interest_keywords
_.vote_url  # card links
_.save_url
_.save_confirm_url
_.empty_reason  # list pages' notices
_.extras
_.new_total  # saved search page

# onnxruntime SessionOptions settings.
_.intra_op_num_threads
_.inter_op_num_threads
_.graph_optimization_level

# Signal handlers' and protocol methods' required parameters.
_.frame  # signal.signal handler (signum, frame)
_.rcpt_options  # aiosmtpd handler hooks
_.handle_RCPT
_.handle_DATA
_.handle_message

# Test helpers: http.server and socketserver hooks, pytest internals, settings overridden by name.
_.do_GET
_.do_HEAD
_.do_POST
_.do_PUT
_.do_DELETE
_.log_message
_.daemon_threads
_.protocol_version
_.close_connection
_.static_handler
_._nodeid
_._id
_.CSRF_COOKIE_SECURE
_.SECURE_PROXY_SSL_HEADER

# Fixtures a test asks for only for their effect (a database, data, a refusing arXiv, a real hasher).
_.transactional_db
_.three_days
_.arxiv_down
_.argon2_hasher

# Columns the admin and the database keep (who decided a claim and when, who created a group or a
# meeting, an invitation's use and revocation, an organisation member's avatar), and what templates
# read by name (a member's Hugging Face user on the organisation page, a feed item's last act).
_.decided_at
_.decided_by
_.created_by
_.used_at
_.revoked
_.avatar
_.hf_user
_.last_at
_.coauthors  # an author page's person (library/authors.Person), read by its template
_.inlines  # admin.ModelAdmin's inline forms
# The API's JSON field names (Hugging Face's camelCase).
_.categoriesPredicted
