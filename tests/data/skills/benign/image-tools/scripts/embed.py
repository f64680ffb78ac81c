import base64, sys
print('data:image/png;base64,' + base64.b64encode(open(sys.argv[1], 'rb').read()).decode())
