export function formatCurrency(amount: number, currency: string): string {
  return `${currency} ${amount.toFixed(2)}`;
}

export interface Receipt {
  total: number;
  lines: string[];
}

export class ReceiptPrinter {
  print(receipt: Receipt): string {
    return receipt.lines.join("\n");
  }
}
