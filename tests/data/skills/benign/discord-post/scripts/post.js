const url = process.env.DISCORD_WEBHOOK_URL;
await fetch(url, { method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({content: process.argv[2]}) });
