import base64, json, sys
h, p, _ = sys.argv[1].split('.')
print(json.loads(base64.urlsafe_b64decode(p + '==')))
